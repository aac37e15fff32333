"""Elastic Beanstalk: applications, versions and environments."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:elasticbeanstalk/application:Application", "Beanstalk application", FREE, sweep="Beanstalk application"),
    Kind("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application version", FREE, "its bundle is an S3 object", emulated="moto 5.2.5 has no CreateApplicationVersion or DeleteApplicationVersion", sweep_with="goes with its Beanstalk application"),
    Kind("aws:elasticbeanstalk/environment:Environment", "Beanstalk environment", "beanstalk_environment", emulated="moto 5.2.5 has no TerminateEnvironment and its CreateEnvironment ignores the version and option settings", sweep="Beanstalk environment"),
)
