"""What is computed from rendered graphs: reachability and expected paths, cost, diffs, and
validation against AWS's resource schemas."""
