import type { InjectedFault } from './faults';

/** Counters of one route ("METHOD /api/v1/template"). */
export interface RouteStats {
  count: number;
  /** Responses by HTTP status ("reset" for destroyed sockets). */
  statuses: Record<string, number>;
  /** Injected faults by kind. */
  faults: Partial<Record<InjectedFault, number>>;
}

/** Request counts per route and method, served by GET /_vers-local/stats. */
export class RequestStats {
  private routes = new Map<string, RouteStats>();
  private startedAt = new Date();

  private entry(routeKey: string): RouteStats {
    let stats = this.routes.get(routeKey);
    if (stats === undefined) {
      stats = { count: 0, statuses: {}, faults: {} };
      this.routes.set(routeKey, stats);
    }
    return stats;
  }

  request(routeKey: string): void {
    this.entry(routeKey).count++;
  }

  response(routeKey: string, status: number | 'reset'): void {
    const statuses = this.entry(routeKey).statuses;
    statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
  }

  fault(routeKey: string, fault: InjectedFault): void {
    const faults = this.entry(routeKey).faults;
    faults[fault] = (faults[fault] ?? 0) + 1;
  }

  snapshot(): { since: string; total: number; routes: Record<string, RouteStats> } {
    const routes = Object.fromEntries([...this.routes.entries()].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...this.routes.values()].reduce((sum, r) => sum + r.count, 0);
    return { since: this.startedAt.toISOString(), total, routes };
  }

  clear(): void {
    this.routes = new Map();
    this.startedAt = new Date();
  }
}
