import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, synth, type Synthesized } from '../../support/synth.ts';

/** The two placements: outside any VPC (the default), and in an existing VPC given by ids. */

const ORIGINS = 'https://admin.example.com';
const VPC = 'vpc-0123456789abcdef0';
const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];
const GROUPS = ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'];
const ROUTE_TABLES = ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'];
const FUNCTIONS = ['ApiHandler', 'ChatStreamHandler'] as const;

const ENI_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];

const inVpc = (extra: Record<string, unknown> = {}) => ({
  allowedOrigins: ORIGINS,
  vpcId: VPC,
  vpcSubnetIds: SUBNETS.join(','),
  vpcSecurityGroupIds: GROUPS.join(','),
  vpcRouteTableIds: ROUTE_TABLES.join(','),
  ...extra,
});

const fnProps = (t: Template, fn: string) => t.toJSON().Resources[logicalIdOf(t, 'AWS::Lambda::Function', fn)].Properties;

const endpoints = (t: Template) => Object.values(t.findResources('AWS::EC2::VPCEndpoint')).map((e) => e.Properties as Record<string, any>);

/** The endpoint's service as `<service> <type>`: `dynamodb Gateway`. */
const serviceOf = (endpoint: Record<string, any>) =>
  `${(endpoint.ServiceName['Fn::Join'][1] as unknown[]).at(-1)!.toString().slice(1)} ${endpoint.VpcEndpointType}`;

/** The EC2 statements of a function's role. */
const ec2Statements = (t: Template, fn: string) => {
  const role = logicalIdOf(t, 'AWS::IAM::Role', fn);
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Effect: string }[])
    .filter((st) => [st.Action].flat().some((a) => a.startsWith('ec2:')));
};

describe('outside any VPC (no vpc context)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ allowedOrigins: ORIGINS });
  });

  it('gives neither function a VpcConfig and creates no endpoint, security group or EC2 permission', () => {
    for (const fn of FUNCTIONS) {
      expect(fnProps(s.template, fn).VpcConfig).toBeUndefined();
      expect(ec2Statements(s.template, fn)).toEqual([]);
    }
    s.template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    s.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });
});

describe('in an existing VPC, with gateway and interface endpoints', () => {
  let s: Synthesized;
  let t: Template;
  beforeAll(() => {
    s = synth(inVpc({ vpcInterfaceEndpoints: 'kms,secretsmanager,lambda' }));
    t = s.template;
  });

  it('passes cdk-nag and needs no lookup (offline synth)', () => {
    expect(s.nagViolations).toEqual([]);
    expect(s.assembly.manifest.missing ?? []).toEqual([]);
  });

  it('places both functions in the given subnets with the given security groups', () => {
    for (const fn of FUNCTIONS) expect(fnProps(t, fn).VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: GROUPS });
  });

  it('lets Lambda manage the functions’ network interfaces through each role, without a managed policy', () => {
    for (const fn of FUNCTIONS) {
      const statements = ec2Statements(t, fn);
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({ Effect: 'Allow', Resource: '*' });
      expect([statements[0]!.Action].flat().sort()).toEqual(ENI_ACTIONS);
      expect(t.toJSON().Resources[logicalIdOf(t, 'AWS::IAM::Role', fn)].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('adds DynamoDB and S3 gateway endpoints to the given route tables', () => {
    const gateways = endpoints(t).filter((e) => e.VpcEndpointType === 'Gateway');
    expect(gateways.map(serviceOf).sort()).toEqual(['dynamodb Gateway', 's3 Gateway']);
    for (const gateway of gateways) {
      expect(gateway).toMatchObject({ VpcId: VPC, RouteTableIds: ROUTE_TABLES });
      // No endpoint policy: the gateway serves everything else on those route tables too.
      expect(gateway.PolicyDocument).toBeUndefined();
    }
  });

  it('adds KMS, Secrets Manager and Lambda interface endpoints with private DNS in the functions’ subnets', () => {
    const group = logicalIdOf(t, 'AWS::EC2::SecurityGroup', 'NetworkInterfaceEndpoints');
    const interfaces = endpoints(t).filter((e) => e.VpcEndpointType === 'Interface');
    expect(interfaces.map(serviceOf).sort()).toEqual(['kms Interface', 'lambda Interface', 'secretsmanager Interface']);
    for (const endpoint of interfaces) {
      expect(endpoint).toEqual({
        VpcId: VPC,
        ServiceName: expect.anything(),
        VpcEndpointType: 'Interface',
        SubnetIds: SUBNETS,
        SecurityGroupIds: [{ 'Fn::GetAtt': [group, 'GroupId'] }],
        PrivateDnsEnabled: true,
      });
    }
  });

  it('opens the interface endpoints on 443 to the functions’ security groups only, with no way out', () => {
    const group = t.toJSON().Resources[logicalIdOf(t, 'AWS::EC2::SecurityGroup', 'NetworkInterfaceEndpoints')].Properties;
    expect(group.VpcId).toBe(VPC);
    expect(group.SecurityGroupIngress).toEqual(
      GROUPS.map((sg) => ({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: sg, Description: `AI chat functions (${sg})` })),
    );
    expect(group.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })]);
  });

  it('changes nothing about the imported VPC, its subnets or its security groups', () => {
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::RouteTable',
      'AWS::EC2::Route',
      'AWS::EC2::NatGateway',
      'AWS::EC2::SecurityGroupIngress',
      'AWS::EC2::SecurityGroupEgress',
    ]) {
      t.resourceCountIs(type, 0);
    }
  });
});

describe('in an existing VPC that has its gateway endpoints already, without interface endpoints', () => {
  it('places the functions and adds no endpoint or security group', () => {
    const { template: t, nagViolations } = synth(inVpc({ vpcRouteTableIds: undefined, vpcGatewayEndpoints: 'false' }));
    expect(nagViolations).toEqual([]);
    for (const fn of FUNCTIONS) expect(fnProps(t, fn).VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: GROUPS });
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    t.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it('adds only the interface endpoints asked for', () => {
    const { template: t } = synth(inVpc({ vpcGatewayEndpoints: false, vpcInterfaceEndpoints: ['secretsmanager'] }));
    expect(endpoints(t).map(serviceOf)).toEqual(['secretsmanager Interface']);
  });
});

describe('model hosts allowed by name (modelHostAllowlist)', () => {
  it('reach both functions as MODEL_HOST_ALLOWLIST, in the form the guard compares', () => {
    const { template: t } = synth(inVpc({ modelHostAllowlist: 'llm.corp.example, 10.0.5.20,[FD00::5]' }));
    for (const fn of FUNCTIONS) expect(fnProps(t, fn).Environment.Variables.MODEL_HOST_ALLOWLIST).toBe('llm.corp.example,10.0.5.20,fd00::5');
  });
});

describe('network context checks', () => {
  it.each([
    [{ vpcSubnetIds: SUBNETS.join(',') }, /context vpcSubnetIds: needs vpcId/],
    [{ vpcInterfaceEndpoints: 'kms' }, /context vpcInterfaceEndpoints: needs vpcId/],
    [{ vpcId: VPC, vpcSecurityGroupIds: GROUPS[0], vpcRouteTableIds: ROUTE_TABLES[0] }, /context vpcSubnetIds: a VPC needs the subnets and security groups/],
    [{ vpcId: VPC, vpcSubnetIds: SUBNETS[0], vpcRouteTableIds: ROUTE_TABLES[0] }, /context vpcSecurityGroupIds: a VPC needs/],
    [
      { vpcId: VPC, vpcSubnetIds: SUBNETS[0], vpcSecurityGroupIds: GROUPS[0] },
      /context vpcRouteTableIds: name the route tables .* or set vpcGatewayEndpoints=false/,
    ],
    [{ vpcId: 'vpc-123' }, /context vpcId: must be ids such as vpc-/],
    [inVpc({ vpcSubnetIds: 'subnet-0123456789abcdef0,sg-0123456789abcdef0' }), /context vpcSubnetIds\.1: must be ids such as subnet-/],
    [inVpc({ vpcSecurityGroupIds: Array.from({ length: 6 }, (_, i) => `sg-0123456${i}`).join(',') }), /context vpcSecurityGroupIds: at most 5 ids/],
    [inVpc({ vpcInterfaceEndpoints: 'kms,sts' }), /context vpcInterfaceEndpoints\.1/],
    [{ modelHostAllowlist: '169.254.169.254' }, /modelHostAllowlist\.0: 169\.254\.169\.254: is a loopback, link-local or unspecified address/],
    [{ modelHostAllowlist: 'llm.corp.example,127.0.0.1' }, /modelHostAllowlist\.1: .*loopback/],
    [{ modelHostAllowlist: 'localhost' }, /names this machine/],
    [{ modelHostAllowlist: 'https://llm.corp.example' }, /no scheme, port or path/],
  ])('refuses %j', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
