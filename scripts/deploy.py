"""`make deploy`: AWS checked first, a few questions the first time, then sam build, sam deploy and the outputs.

The AWS credentials and region are checked before anything is built (one line each). A first deploy
asks only what has no safe default (the stack's name and region, which webhook API X delivers to,
where the alarms go); samconfig.toml answers the rest, and `sam deploy --save-params` keeps these
answers there, so a later `make deploy` asks nothing. PARAMETERS="Name=value ..." sets any
template parameter (docs/configuration.md lists them).
"""

import os
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from scripts.include_dashboard import include_dashboard
from xdm_cli.main import main as x_dm_channel

ROOT = Path(__file__).resolve().parent.parent
SAMCONFIG = ROOT / "samconfig.toml"
WEBHOOK_APIS = ("v2", "v1.1")

Ask = Callable[[str, str], str]


class DeployError(Exception):
    """Why the deploy stopped, in one line."""


def region_line(region: str | None) -> str:
    """The region the deploy goes to; DeployError when there is none."""
    if not region:
        raise DeployError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile with a region)")
    return f"AWS region: {region}"


def credentials_line(session: boto3.session.Session) -> str:
    """Whose AWS credentials deploy; DeployError when there are none or AWS refuses them."""
    try:
        if session.get_credentials() is None:
            raise NoCredentialsError
        identity = session.client("sts").get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise DeployError(
            "no AWS credentials: run `aws configure`, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from error
    except (BotoCoreError, ClientError) as error:
        raise DeployError(f"AWS refused the credentials ({error})") from error
    return f"AWS credentials: {identity['Arn']} (account {identity['Account']})"


def saved_answers() -> dict[str, str]:
    """The stack name and region a first deploy saved in samconfig.toml (empty before one)."""
    config = tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))
    saved = config.get("default", {}).get("deploy", {}).get("parameters", {})
    return {key: str(saved[key]) for key in ("stack_name", "region") if key in saved}


def stack_name(saved: dict[str, str]) -> str:
    """The stack: STACK, else the one a first deploy saved, else x-dm-channel."""
    return os.environ.get("STACK") or saved.get("stack_name", "x-dm-channel")


def stack_exists(session: boto3.session.Session, stack: str) -> bool:
    """Whether the stack is deployed (then nothing is asked)."""
    try:
        session.client("cloudformation").describe_stacks(StackName=stack)
    except ClientError:
        return False
    return True


def first_answers(ask: Ask, stack: str, region: str) -> tuple[str, str, list[str]]:
    """The questions of a first deploy (four, or five for an Account Activity v1.1 webhook): name, region, parameters."""
    stack = ask("Stack name", stack)
    region = ask("AWS region", region)
    webhook_api = ""
    while webhook_api not in WEBHOOK_APIS:
        webhook_api = ask("X's webhook API: v2 (the X Activity API, or Account Activity v2) or v1.1", "v2")
    overrides = [f"XWebhookApi={webhook_api}"]
    if webhook_api == "v1.1":
        overrides.append(f"XEnvLabel={ask('The Account Activity environment label (X developer portal)', 'dev')}")
    alarm_topic = ask("An SNS topic ARN for the alarms (empty: the alarms notify no one)", "")
    return stack, region, [*overrides, *([f"AlarmTopicArn={alarm_topic}"] if alarm_topic else [])]


def terminal_ask(question: str, default: str) -> str:
    """Ask on the terminal; Enter takes the default."""
    return input(f"{question} [{default}]: ").strip() or default


def deploy(ask: Ask, parameters: list[str]) -> int:
    """Check AWS, ask what a first deploy needs, then build, deploy and print the outputs."""
    saved = saved_answers()
    stack = stack_name(saved)
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or saved.get("region") or None)
    print(region_line(session.region_name), flush=True)
    print(credentials_line(session), flush=True)
    region = str(session.region_name)
    save: list[str] = []
    if not stack_exists(session, stack):
        stack, region, first = first_answers(ask, stack, region)
        parameters, save = [*first, *parameters], ["--save-params"]
    sam = os.environ.get("SAM", str(Path(sys.executable).parent / "sam"))
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([sam, "build"], cwd=ROOT, env=environment, check=True)
    include_dashboard()
    overrides = ["--parameter-overrides", *parameters] if parameters else []
    command = [sam, "deploy", "--stack-name", stack, "--region", region, *overrides, *save]
    subprocess.run(command, cwd=ROOT, env=environment, check=True)
    return x_dm_channel(["status", "--stack", stack, "--region", region])


if __name__ == "__main__":
    if sys.argv[1:] == ["--stack-name"]:  # for `make destroy`
        print(stack_name(saved_answers()))
        sys.exit(0)
    try:
        sys.exit(deploy(terminal_ask, shlex.split(os.environ.get("PARAMETERS", ""))))
    except DeployError as problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)
    except subprocess.CalledProcessError as failed:
        sys.exit(failed.returncode)
    except (KeyboardInterrupt, EOFError):
        print("\nerror: stopped before deploying", file=sys.stderr)
        sys.exit(1)
