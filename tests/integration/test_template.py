"""template.yaml: lints clean, keeps its contracts, and `sam build` works with no Docker and no python3.13."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from devstack.template import load_template, resources_of_type
from scripts.include_dashboard import DASHBOARD, include_dashboard
from tests.conftest import ROOT

BIN = Path(sys.executable).parent
TEMPLATE = load_template()


def test_cfn_lint_is_clean() -> None:
    result = subprocess.run(
        [BIN / "cfn-lint", str(ROOT / "template.yaml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_functions_run_python313_on_arm64() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert set(function_globals["Environment"]["Variables"]) == {
        "LOG_LEVEL",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "PYTHONWARNINGS",
    }


def test_no_function_logs_requests_warning_about_the_character_detector_the_layer_leaves_out() -> None:
    quiet = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["PYTHONWARNINGS"]
    without_detector = "import sys; sys.modules['charset_normalizer'] = sys.modules['chardet'] = None; import requests"
    said = {
        value: subprocess.run(
            [sys.executable, "-c", without_detector],
            env={**os.environ, "PYTHONWARNINGS": value},
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        for value in ("", quiet)
    }
    assert "character detection" in said[""] and said[quiet] == ""


def test_webhook_routes_environment_and_least_privilege() -> None:
    webhook = TEMPLATE["Resources"]["WebhookFunction"]["Properties"]
    assert webhook["Handler"] == "app.lambda_handler"
    assert webhook["CodeUri"] == "functions/webhook/"
    routes = {(e["Type"], e["Properties"]["Method"], e["Properties"]["Path"]) for e in webhook["Events"].values()}
    assert routes == {("HttpApi", "GET", "/webhook"), ("HttpApi", "POST", "/webhook")}
    assert webhook["Environment"]["Variables"] == {
        "QUEUE_URL": {"Ref": "DmQueue"},
        "SECRET_ID": {"Ref": "XCredentialsSecret"},
        "ACCOUNTS_SECRET_PREFIX": {"Fn::Sub": "${AWS::StackName}/accounts/"},
    }
    accounts = (
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${AWS::StackName}/accounts/*"
    )
    assert webhook["Policies"] == [
        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["DmQueue", "QueueName"]}}},
        {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "XCredentialsSecret"}}},
        # the webhook may learn that an account's secret exists, never read it
        {
            "Statement": [
                {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": {"Fn::Sub": accounts}}
            ]
        },
    ]


def test_fifo_queue_redrives_to_a_fifo_dead_letter_queue() -> None:
    queues = resources_of_type(TEMPLATE, "AWS::SQS::Queue")
    assert queues["DmQueue"]["FifoQueue"] is True
    assert queues["DmQueue"]["ContentBasedDeduplication"] is False
    assert queues["DmQueue"]["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DmDeadLetterQueue", "Arn"]}
    assert queues["DmDeadLetterQueue"]["FifoQueue"] is True


def test_secret_holds_the_four_keys_without_values() -> None:
    secret = resources_of_type(TEMPLATE, "AWS::SecretsManager::Secret")["XCredentialsSecret"]
    assert json.loads(secret["SecretString"]) == dict.fromkeys(
        ("consumer_key", "consumer_secret", "access_token", "access_token_secret"), ""
    )


def test_responder_trigger_environment_and_parameters() -> None:
    responder = TEMPLATE["Resources"]["ResponderFunction"]["Properties"]
    assert responder["Handler"] == "app.lambda_handler"
    assert responder["Events"]["Queue"] == {
        "Type": "SQS",
        "Properties": {
            "Queue": {"Fn::GetAtt": ["DmQueue", "Arn"]},
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    }
    variables = responder["Environment"]["Variables"]
    assert variables["DAILY_MESSAGE_LIMIT"] == {"Ref": "DailyMessageLimit"}
    assert variables["REPLIES_PER_MESSAGE"] == {"Ref": "RepliesPerMessage"}
    assert TEMPLATE["Parameters"]["DailyMessageLimit"]["Default"] == 1000
    assert TEMPLATE["Parameters"]["RepliesPerMessage"]["Default"] == 5
    assert {"TABLE_NAME", "SECRET_ID", "QUEUE_URL", "X_API_BASE_URL"} <= set(variables)
    # The queue hides a message for at least six times the function's timeout, as AWS advises.
    assert TEMPLATE["Resources"]["DmQueue"]["Properties"]["VisibilityTimeout"] >= 6 * responder["Timeout"]


def test_bot_kind_and_lex_least_privilege() -> None:
    assert TEMPLATE["Parameters"]["BotKind"]["AllowedValues"] == ["faq", "http", "lex", "bedrock"]
    assert TEMPLATE["Parameters"]["XDmApi"]["AllowedValues"] == ["v1.1", "v2"]
    variables = TEMPLATE["Resources"]["ResponderFunction"]["Properties"]["Environment"]["Variables"]
    for name in ("BOT_KIND", "BOT_URL", "LEX_BOT_ID", "LEX_BOT_ALIAS_ID", "LEX_LOCALE_ID", "X_DM_API"):
        assert name in variables
    policies = TEMPLATE["Resources"]["ResponderFunction"]["Properties"]["Policies"]
    (lex_policy,) = [p["Fn::If"] for p in policies if isinstance(p, dict) and p.get("Fn::If", [""])[0] == "IsLexBot"]
    (statement,) = lex_policy[1]["Statement"]
    assert statement["Action"] == "lex:RecognizeText"
    assert statement["Resource"]["Fn::Sub"].endswith(":bot-alias/${LexBotId}/${LexBotAliasId}")


def test_webhook_is_checked_on_a_schedule_with_an_alarm() -> None:
    guard = TEMPLATE["Resources"]["WebhookGuardFunction"]
    assert guard["Condition"] == "ChecksWebhook"
    assert guard["Properties"]["Events"]["Check"] == {
        "Type": "Schedule",
        "Properties": {"Schedule": {"Ref": "WebhookCheckSchedule"}},
    }
    alarm = TEMPLATE["Resources"]["WebhookAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        "WebhookHealthy",
        "LessThanThreshold",
        "breaching",
    )


def test_state_table_is_on_demand_with_ttl_and_point_in_time_recovery() -> None:
    table = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")["StateTable"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_dead_letter_queue_has_an_alarm() -> None:
    alarm = TEMPLATE["Resources"]["DeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DmDeadLetterQueue", "QueueName"]}}]
    assert (alarm["MetricName"], alarm["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)


def test_outputs() -> None:
    assert {"WebhookUrl", "QueueUrl", "SecretArn"} <= set(TEMPLATE["Outputs"])


def test_sam_build_needs_no_docker_nor_python313(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "SAM_CLI_TELEMETRY": "0",
        "DOCKER_HOST": "unix:///nonexistent",
    }
    result = subprocess.run(
        [
            BIN / "sam",
            "build",
            "--template-file",
            str(ROOT / "template.yaml"),
            "--build-dir",
            str(build_dir),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-use-container",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shared = build_dir / "SharedLayer" / "python" / "dmchannel"
    assert (shared / "webhook" / "signature.py").is_file()
    compiled = {path.name.split(".")[1] for path in shared.rglob("*.pyc")}
    # Bytecode only for the runtime's Python (3.13), and only when the build ran on it; none else.
    assert compiled == ({"cpython-313"} if sys.version_info[:2] == (3, 13) else set())
    deps = build_dir / "DepsLayer" / "python"
    assert (deps / "aws_lambda_powertools").is_dir()
    assert (deps / "requests_oauthlib").is_dir()
    assert not (deps / "boto3").exists() and not (deps / "botocore").exists()
    native = list(deps.rglob("*.so"))
    # The runtime's wheels: CPython 3.13's, or the stable ABI's (XChat's SDK), all built for arm64.
    assert native and all(path.name.endswith(("-313-aarch64-linux-gnu.so", ".abi3.so")) for path in native)
    assert all(int.from_bytes(path.read_bytes()[18:20], "little") == ELF_AARCH64 for path in native)
    assert (deps / "chat_xdk" / "_native.abi3.so").is_file()
    assert not [path for path in native if ".debug_info" in elf_sections(path)]
    assert not list(deps.rglob("*.js")) and not list(deps.rglob("*.css")) and not list(deps.rglob("tests"))
    assert (build_dir / "WebhookFunction" / "app.py").is_file()
    assert {p.name for p in (build_dir / "ResponderFunction").iterdir()} == {"app.py", "faq.yaml", "assistant.md"}
    faq = (build_dir / "ResponderFunction" / "faq.yaml").read_text(encoding="utf-8")  # JSON: no YAML parser to load
    source = (ROOT / "functions" / "responder" / "faq.yaml").read_text(encoding="utf-8")
    assert json.loads(faq) == yaml.safe_load(source)
    assert (build_dir / "WebhookGuardFunction" / "app.py").is_file()
    include_dashboard(build_dir / "template.yaml")
    deployed = load_template(build_dir / "template.yaml")
    assert deployed["Resources"]["Dashboard"]["Properties"]["DashboardBody"] == {"Fn::Sub": DASHBOARD.read_text()}
    assert deployed["AWSTemplateFormatVersion"] == "2010-09-09"


ELF_AARCH64 = 0xB7  # e_machine


def elf_sections(path: Path) -> set[str]:
    """The section names of a 64-bit little-endian ELF file (enough to see debug symbols)."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    offset, size, count, names_index = (
        int.from_bytes(data[0x28:0x30], "little"),
        int.from_bytes(data[0x3A:0x3C], "little"),
        int.from_bytes(data[0x3C:0x3E], "little"),
        int.from_bytes(data[0x3E:0x40], "little"),
    )
    headers = [data[offset + i * size : offset + (i + 1) * size] for i in range(count)]
    names_at = int.from_bytes(headers[names_index][0x18:0x20], "little")
    sections = set()
    for header in headers:
        start = names_at + int.from_bytes(header[0:4], "little")
        sections.add(data[start : data.index(b"\0", start)].decode())
    return sections


def test_the_elf_reader_sees_debug_symbols() -> None:
    wheel_so = next(Path(sys.executable).parent.parent.rglob("_yaml*.so"), None)
    assert wheel_so is not None  # the dev environment's PyYAML, built with debug symbols like the layer's was
    assert {".text", ".debug_info"} <= elf_sections(wheel_so)


def test_the_bedrock_assistant_may_invoke_its_model_only() -> None:
    policies = TEMPLATE["Resources"]["ResponderFunction"]["Properties"]["Policies"]
    bedrock = [p for p in policies if isinstance(p, dict) and "Fn::If" in p and p["Fn::If"][0] == "IsBedrockBot"]
    (statement,) = bedrock[0]["Fn::If"][1]["Statement"]
    assert statement["Action"] == "bedrock:InvokeModel"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/${BedrockModelId}"
    }
    assert TEMPLATE["Parameters"]["BotKind"]["AllowedValues"] == ["faq", "http", "lex", "bedrock"]


def test_the_bedrock_assistants_token_budget_has_an_alarm() -> None:
    alarm = TEMPLATE["Resources"]["TokenBudgetReachedAlarm"]
    assert alarm["Condition"] == "IsBedrockBot"
    assert (alarm["Properties"]["MetricName"], alarm["Properties"]["Threshold"]) == ("TokenBudgetReached", 0)
    environment = TEMPLATE["Resources"]["ResponderFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["DAILY_TOKEN_BUDGET"] == {"Ref": "DailyTokenBudget"}


def test_the_handover_topic_may_only_be_published_to() -> None:
    policies = TEMPLATE["Resources"]["ResponderFunction"]["Properties"]["Policies"]
    (handover,) = [p for p in policies if isinstance(p, dict) and p.get("Fn::If", [""])[0] == "HasHandoverTopic"]
    (statement,) = handover["Fn::If"][1]["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("sns:Publish", {"Ref": "HandoverTopicArn"})


def test_only_the_functions_that_answer_or_keep_xchat_read_the_accounts_secrets() -> None:
    readers = set()
    for name, resource in TEMPLATE["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        statements = [
            s for p in resource["Properties"].get("Policies", []) if isinstance(p, dict) for s in p.get("Statement", [])
        ]
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "secretsmanager:GetSecretValue" in actions and any("accounts/*" in json.dumps(r) for r in resources):
                readers.add(name)
    assert readers == {"ResponderFunction", "TokenKeeperFunction", "MessageRequestFunction"}


def test_message_requests_are_checked_on_their_schedule_by_their_policy() -> None:
    function = TEMPLATE["Resources"]["MessageRequestFunction"]["Properties"]
    assert function["Events"]["Check"]["Properties"]["Schedule"] == {
        "Fn::Sub": "rate(${MessageRequestMinutes} minutes)"
    }
    assert function["Environment"]["Variables"]["XCHAT_ACCEPT_REQUESTS"] == {"Ref": "XChatAcceptRequests"}
    parameters = TEMPLATE["Parameters"]
    assert parameters["MessageRequestMinutes"]["Default"] == 5
    assert parameters["XChatAcceptRequests"]["AllowedValues"] == ["everyone", "none"]
    assert parameters["XChatAcceptRequests"]["Default"] == "everyone"
