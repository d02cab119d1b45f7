"""Creates, on whatever AWS endpoint boto3 is pointed at, the resources template.yaml defines.

The local stack and the tests run against moto with the same queues, secret and
tables as the deployed stack, derived from the template rather than copied by hand.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from devstack.template import load_template, parameter_defaults, resources_of_type

STACK_NAME = "x-dm-channel"  # the local stack's name, as samconfig.toml deploys it


@dataclass
class LocalStack:
    """What was created: each resource's Ref value and attributes, and the template."""

    template: dict[str, Any]
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> str:
        """Resolve a template value (plain, Ref, GetAtt or Sub) to a string."""
        if isinstance(value, Mapping):
            (function, argument), *_ = value.items()
            if function == "Ref":
                return self.parameters[argument] if argument in self.parameters else self.refs[argument]
            if function == "Fn::GetAtt":
                return self.attributes[(argument[0], argument[1])]
            if function == "Fn::Sub":
                return self._substitute(argument)
            raise ValueError(f"unsupported intrinsic function {function}")
        return str(value).lower() if isinstance(value, bool) else str(value)

    def _substitute(self, text: str) -> str:
        pseudo = {
            "AWS::Region": boto3.session.Session().region_name or "us-east-1",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
            "AWS::AccountId": "123456789012",
            "AWS::Partition": "aws",
        }
        for name, value in {**pseudo, **self.parameters, **self.refs}.items():
            text = text.replace("${" + name + "}", value)
        return text

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """A function's environment variables, its own over the template's Globals."""
        global_env = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        own_env = self.template["Resources"][logical_id]["Properties"].get("Environment", {})
        variables = {**global_env.get("Variables", {}), **own_env.get("Variables", {})}
        return {name: self.resolve(value) for name, value in variables.items()}


def _create_queues(stack: LocalStack) -> None:
    queues = resources_of_type(stack.template, "AWS::SQS::Queue")
    sqs = boto3.client("sqs")
    # Dead-letter queues first: the others' redrive policies name them.
    for logical_id, properties in sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1]):
        fifo = bool(properties.get("FifoQueue"))
        name = properties.get("QueueName", logical_id + (".fifo" if fifo else ""))
        attributes: dict[Any, str] = {
            key: stack.resolve(value)
            for key, value in properties.items()
            if key not in ("QueueName", "RedrivePolicy", "Tags")
        }
        if "RedrivePolicy" in properties:
            policy = {key: stack.resolve(value) for key, value in properties["RedrivePolicy"].items()}
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        stack.refs[logical_id] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.attributes[(logical_id, "Arn")] = arn
        stack.attributes[(logical_id, "QueueName")] = name


def _create_secrets(stack: LocalStack, secret_values: Mapping[str, str]) -> None:
    secrets = boto3.client("secretsmanager")
    for logical_id, properties in resources_of_type(stack.template, "AWS::SecretsManager::Secret").items():
        value = secret_values.get(logical_id, properties.get("SecretString", "{}"))
        arn = secrets.create_secret(Name=properties.get("Name", logical_id), SecretString=value)["ARN"]
        stack.refs[logical_id] = arn


def _create_tables(stack: LocalStack) -> None:
    dynamodb = boto3.client("dynamodb")
    for logical_id, properties in resources_of_type(stack.template, "AWS::DynamoDB::Table").items():
        name = properties.get("TableName", logical_id)
        dynamodb.create_table(
            TableName=name,
            BillingMode=properties["BillingMode"],
            AttributeDefinitions=properties["AttributeDefinitions"],
            KeySchema=properties["KeySchema"],
        )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        stack.refs[logical_id] = name
        stack.attributes[(logical_id, "Arn")] = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]


def provision(
    secret_values: Mapping[str, str] | None = None, parameters: Mapping[str, str] | None = None
) -> LocalStack:
    """Create the template's queues, tables and secrets; secret_values replaces a secret's template value."""
    template = load_template()
    stack = LocalStack(template=template, parameters={**parameter_defaults(template), **(parameters or {})})
    _create_queues(stack)
    _create_tables(stack)
    _create_secrets(stack, secret_values or {})
    return stack


def stack_outputs(stack: LocalStack, webhook_url: str) -> dict[str, str]:
    """The template's outputs of what the local stack has (its webhook at webhook_url; none of an API or a function)."""
    outputs = {}
    for name, output in stack.template.get("Outputs", {}).items():
        try:
            value = stack.resolve(output["Value"])
        except (KeyError, ValueError):  # a resource the local stack does not create
            continue
        if "${" not in value:
            outputs[name] = value
    return outputs | {"WebhookUrl": webhook_url}


def publish_stack(outputs: Mapping[str, str], parameters: Mapping[str, str], name: str = STACK_NAME) -> None:
    """Describe the stack to CloudFormation, wherever boto3 points, with its outputs and parameters and no resource.

    `x-dm-channel` reads a stack's outputs and parameters with DescribeStacks, so on moto it finds the
    local stack where it finds a deployed one.
    """
    template = {
        "Parameters": {key: {"Type": "String"} for key in parameters},
        "Resources": {"Described": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},  # a template needs one
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
    )
