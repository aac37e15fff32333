<?php
// Chapter 11's coursework: a high-availability LAMP stack on Elastic Beanstalk. The database's
// endpoint, name and user come from the environment's properties (RDS_HOSTNAME, RDS_PORT,
// RDS_DB_NAME, RDS_USERNAME, the names of AWS's guide to Beanstalk with RDS); the password from
// RDS_PASSWORD: the password Beanstalk fetches from the stack's SSM parameter at the instance's boot,
// or typed into the console's environment properties (or, JSON with a "password" key, a secret's).
$host = gethostname();
$secret = getenv('RDS_PASSWORD');
$decoded = json_decode((string) $secret, true);
$password = is_array($decoded) ? $decoded['password'] : $secret;
$dsn = sprintf('mysql:host=%s;port=%s;dbname=%s', getenv('RDS_HOSTNAME'), getenv('RDS_PORT'), getenv('RDS_DB_NAME'));
$rows = array();
$error = null;
try {
    $db = new PDO($dsn, getenv('RDS_USERNAME'), $password, array(PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION));
    $db->exec('CREATE TABLE IF NOT EXISTS table1 (id INT AUTO_INCREMENT PRIMARY KEY, content VARCHAR(255) NOT NULL)');
    if ((int) $db->query('SELECT COUNT(*) FROM table1')->fetchColumn() === 0) {
        $insert = $db->prepare('INSERT INTO table1 (content) VALUES (?)');
        foreach (array('This is record 1', 'This is record 2', 'This is record 3') as $content) {
            $insert->execute(array($content));
        }
    }
    $rows = $db->query('SELECT content FROM table1 ORDER BY id')->fetchAll(PDO::FETCH_COLUMN);
} catch (PDOException $e) {
    $error = $e->getMessage();
}
?>
<!DOCTYPE html>
<html>
<head><title>LAMP stack on Elastic Beanstalk</title></head>
<body>
<h1>LAMP stack on Elastic Beanstalk</h1>
<img src="picture.svg" alt="a maple leaf" width="120">
<p>This is <?php echo htmlspecialchars($host); ?> (PHP <?php echo PHP_VERSION; ?>)</p>
<?php if ($error !== null): ?>
<p>The database did not answer: <?php echo htmlspecialchars($error); ?></p>
<?php else: ?>
<ul>
<?php foreach ($rows as $row): ?>
<li><?php echo htmlspecialchars($row); ?></li>
<?php endforeach; ?>
</ul>
<?php endif; ?>
</body>
</html>
