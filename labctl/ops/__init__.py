"""Operations on real (or emulated) clouds: Pulumi's Automation API, the fleet runner, boto3
stop/start/sweep, the AWS emulator and live HTTP probes."""
