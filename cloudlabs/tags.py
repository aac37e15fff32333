"""The tag keys every taggable resource of a lab carries (``components.context.LabContext.tags``),
defined once: the sweep, the live reader, drift, the network model and the expiry report find a
cohort's and a student's resources by them."""

PREFIX = "cloudlabs:"
COHORT_TAG = PREFIX + "cohort"
STUDENT_TAG = PREFIX + "student"
LAB_TAG = PREFIX + "lab"
EXPIRES_TAG = PREFIX + "expires"
