import type { Diagnostic } from '../diagnostics';
import type { AttributePathStep } from '../values/attribute-path';

/**
 * The tfplugin6 messages the provider service reads and writes, as
 * proto-loader represents them (keepCase, bytes as Buffer, enums as names,
 * int64 as number, defaults filled in). Only the fields the bridge uses.
 */

export interface DynamicValueMessage {
  msgpack?: Buffer;
  json?: Buffer;
}

export interface AttributePathMessage {
  steps: AttributePathStep[];
}

export interface ClientCapabilitiesMessage {
  deferral_allowed?: boolean;
  write_only_attributes_allowed?: boolean;
}

export interface ConfigRequest {
  type_name?: string;
  config?: DynamicValueMessage | null;
  terraform_version?: string;
  client_capabilities?: ClientCapabilitiesMessage | null;
}

export interface UpgradeResourceStateRequest {
  type_name: string;
  version: number;
  raw_state?: { json?: Buffer; flatmap?: Record<string, string> } | null;
}

export interface ReadResourceRequest {
  type_name: string;
  current_state?: DynamicValueMessage | null;
  private?: Buffer;
}

export interface PlanResourceChangeRequest {
  type_name: string;
  prior_state?: DynamicValueMessage | null;
  proposed_new_state?: DynamicValueMessage | null;
  config?: DynamicValueMessage | null;
  prior_private?: Buffer;
}

export interface ApplyResourceChangeRequest {
  type_name: string;
  prior_state?: DynamicValueMessage | null;
  planned_state?: DynamicValueMessage | null;
  config?: DynamicValueMessage | null;
  planned_private?: Buffer;
}

export interface ImportResourceStateRequest {
  type_name: string;
  id: string;
}

export interface WithDiagnostics {
  diagnostics: Diagnostic[];
}
