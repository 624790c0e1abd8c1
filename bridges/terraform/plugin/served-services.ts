/** The gRPC services terraform-provider-vers serves, by the role the plugin server gives each. */
export const SERVED_SERVICES = {
  provider: 'tfplugin6.Provider',
  controller: 'plugin.GRPCController',
  stdio: 'plugin.GRPCStdio',
  broker: 'plugin.GRPCBroker',
  health: 'grpc.health.v1.Health',
} as const;

export type ServiceRole = keyof typeof SERVED_SERVICES;

/** One definition per served service, built from its full name. */
export function forEachServedService<T>(build: (serviceName: string) => T): Record<ServiceRole, T> {
  const out = {} as Record<ServiceRole, T>;
  for (const [role, name] of Object.entries(SERVED_SERVICES) as Array<[ServiceRole, string]>) out[role] = build(name);
  return out;
}
