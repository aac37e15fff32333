"""The tag keys every taggable resource of a lab carries (``components.context.LabContext.tags``),
defined once: the sweep, the live reader, drift, the network model and the expiry report find a
cohort's and a student's resources by them."""

PREFIX = "cloudlabs:"
COHORT_TAG = PREFIX + "cohort"
STUDENT_TAG = PREFIX + "student"
LAB_TAG = PREFIX + "lab"
EXPIRES_TAG = PREFIX + "expires"
# The account a stack's resources stand in, where the cohort's stacks are not in one shared account:
# the student's account id (per-student) or cohort/student (self-service). Absent in a shared account.
# An emulated rehearsal puts every stack in one account: its quota rules count each scope apart, as
# AWS counts each account apart.
ACCOUNT_TAG = PREFIX + "account"

