import { getCommit } from './get-commit';
import { getVms } from './get-vms';
import { provisionResource } from './provision';
import type { FunctionLifecycle, ResourceLifecycle } from './types';
import { vm } from './vm';
import { vmBranch } from './vm-branch';
import { vmCommit } from './vm-commit';
import { vmRestore } from './vm-restore';

/** Every resource of the package by Pulumi type token: what both bridges serve. */
export const resourceLifecycles: Readonly<Record<string, ResourceLifecycle>> = Object.freeze({
  [vm.token]: vm,
  [vmCommit.token]: vmCommit,
  [vmBranch.token]: vmBranch,
  [vmRestore.token]: vmRestore,
  [provisionResource.token]: provisionResource,
});

/** Every function of the package by Pulumi token. */
export const functionLifecycles: Readonly<Record<string, FunctionLifecycle>> = Object.freeze({
  [getVms.token]: getVms,
  [getCommit.token]: getCommit,
});
