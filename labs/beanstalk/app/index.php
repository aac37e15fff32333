<?php
// The book's demo-project (chapter 11): a home page and a picture, zipped with the files at the
// root of the bundle. Elastic Beanstalk's PHP platform serves it from /var/www/html.
$host = gethostname();
?>
<!DOCTYPE html>
<html>
<head><title>demo-project</title></head>
<body>
<h1>demo-project on Elastic Beanstalk</h1>
<img src="picture.svg" alt="a maple leaf" width="120">
<p>This is <?php echo htmlspecialchars($host); ?> (PHP <?php echo PHP_VERSION; ?>)</p>
</body>
</html>
