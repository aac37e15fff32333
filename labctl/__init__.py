"""labctl: the instructor's tool. Offline render and plan of student stacks (and, as the
project grows, cohorts, diffs, cost and fleet operations)."""
