import { Annotations, Fn, Stack } from 'aws-cdk-lib';
import {
  CfnVPCEndpoint,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  Subnet,
  Vpc,
  type ISecurityGroup,
  type ISubnet,
  type IVpc,
} from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { NetworkConfig } from './config.ts';

/** Where a function runs when the stack is placed in a VPC. */
export interface FunctionNetwork {
  vpc: IVpc;
  subnets: ISubnet[];
  securityGroups: ISecurityGroup[];
}

const GATEWAY_SERVICES = { DynamoDb: GatewayVpcEndpointAwsService.DYNAMODB, S3: GatewayVpcEndpointAwsService.S3 } as const;

const INTERFACE_SERVICES: Record<NetworkConfig['interfaceEndpoints'][number], { id: string; service: InterfaceVpcEndpointAwsService }> = {
  kms: { id: 'Kms', service: InterfaceVpcEndpointAwsService.KMS },
  secretsmanager: { id: 'SecretsManager', service: InterfaceVpcEndpointAwsService.SECRETS_MANAGER },
  lambda: { id: 'Lambda', service: InterfaceVpcEndpointAwsService.LAMBDA },
};

/**
 * The functions' place in an existing VPC, imported by id only (no lookup: the synth
 * stays offline), and the endpoints that keep their AWS traffic off the NAT: gateway
 * endpoints for DynamoDB and S3 on the subnets' route tables, and optionally interface
 * endpoints for KMS, Secrets Manager and Lambda (the api's warm-ahead) in the subnets, open on 443 to the functions'
 * security groups only. Model providers are still reached over the internet, through
 * the VPC's NAT (or a proxy): the stack adds no route for them. Endpoints are L1
 * resources because the imported subnets carry no availability zone, which the L2
 * interface endpoint needs to pick one subnet per zone.
 */
export class PrivateNetwork extends Construct {
  readonly functionNetwork: FunctionNetwork;
  readonly endpoints: CfnVPCEndpoint[] = [];

  constructor(scope: Construct, id: string, config: NetworkConfig) {
    super(scope, id);
    // The zones are not known offline and nothing here needs them; the region's list stands in.
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: config.vpcId, availabilityZones: Fn.getAzs() });
    Annotations.of(vpc).acknowledgeWarning(
      '@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      'The functions name their subnets by id; nothing selects subnets by zone.',
    );
    const subnets = config.subnetIds.map((subnetId) => {
      const subnet = Subnet.fromSubnetId(this, subnetId, subnetId);
      Annotations.of(subnet).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        "The gateway endpoints take the route tables from vpcRouteTableIds; no construct reads a subnet's route table.",
      );
      return subnet;
    });
    const securityGroups = config.securityGroupIds.map((sgId) => SecurityGroup.fromSecurityGroupId(this, sgId, sgId, { mutable: false }));
    this.functionNetwork = { vpc, subnets, securityGroups };

    if (config.gatewayEndpointRouteTableIds.length) {
      for (const [name, service] of Object.entries(GATEWAY_SERVICES)) {
        this.endpoints.push(
          new CfnVPCEndpoint(this, `${name}Gateway`, {
            vpcId: config.vpcId,
            serviceName: service.name,
            vpcEndpointType: 'Gateway',
            routeTableIds: config.gatewayEndpointRouteTableIds,
          }),
        );
      }
    }

    if (config.interfaceEndpoints.length) {
      const endpointGroup = new SecurityGroup(this, 'InterfaceEndpoints', {
        vpc,
        description: `${Stack.of(this).stackName}: HTTPS from the AI chat functions to the KMS and Secrets Manager endpoints`,
        allowAllOutbound: false,
      });
      for (const sgId of config.securityGroupIds) endpointGroup.addIngressRule(Peer.securityGroupId(sgId), Port.tcp(443), `AI chat functions (${sgId})`);
      for (const name of config.interfaceEndpoints) {
        const { id: endpointId, service } = INTERFACE_SERVICES[name];
        this.endpoints.push(
          new CfnVPCEndpoint(this, `${endpointId}Interface`, {
            vpcId: config.vpcId,
            serviceName: service.name,
            vpcEndpointType: 'Interface',
            subnetIds: config.subnetIds,
            securityGroupIds: [endpointGroup.securityGroupId],
            privateDnsEnabled: true,
          }),
        );
      }
    }
  }
}
