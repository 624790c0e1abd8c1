import { appendFileSync } from 'node:fs';

/**
 * Per-RPC cost accounting for benchmarks (bench/plan-scale.ts): when
 * VERS_TF_RPC_STATS_FILE names a file, every tfplugin6 RPC appends one JSON
 * line {rpc, type, cpuUs, wallUs}: the process CPU time (user + system) and
 * wall time from the request's arrival at the handler to its response. A
 * handler that awaits no I/O (planning does not) runs within one event-loop
 * turn, so concurrent calls do not blur its CPU figure. At exit, one more
 * line {rpc: "process", cpuUs, wallUs} gives the whole process's CPU time
 * (gRPC decoding and encoding, start-up and GC included) and its uptime.
 * Off by default.
 */
export const RPC_STATS_FILE_ENV = 'VERS_TF_RPC_STATS_FILE';

export interface RpcStat {
  rpc: string;
  type?: string;
  cpuUs: number;
  wallUs: number;
}

export type RpcTimer = (rpc: string, type: string | undefined) => () => void;

/** A timer factory writing to the stats file, or undefined when accounting is off. */
export function rpcStatsTimer(env: NodeJS.ProcessEnv): RpcTimer | undefined {
  const file = env[RPC_STATS_FILE_ENV];
  if (file === undefined || file === '') return undefined;
  process.once('exit', () => {
    const used = process.cpuUsage();
    appendFileSync(file, `${JSON.stringify({ rpc: 'process', cpuUs: used.user + used.system, wallUs: Math.round(process.uptime() * 1e6) })}\n`);
  });
  return (rpc, type) => {
    const cpu = process.cpuUsage();
    const wall = process.hrtime.bigint();
    return () => {
      const used = process.cpuUsage(cpu);
      const stat: RpcStat = { rpc, ...(type === undefined ? {} : { type }), cpuUs: used.user + used.system, wallUs: Number(process.hrtime.bigint() - wall) / 1000 };
      appendFileSync(file, `${JSON.stringify(stat)}\n`);
    };
  };
}
