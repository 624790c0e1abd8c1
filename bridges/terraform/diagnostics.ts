import { ConfigError, PartialCreateError, ProviderError, ValidationError } from '../../core/base/errors';
import type { CheckFailure } from '../../core/base/check-failure';
import { isBridgeError } from './errors';
import type { SecretRedactor } from '../../core/base/redaction';
import { terraformNameOf, type FieldNames } from './schema/name-map';
import { propertyPathToTerraform, type AttributePathStep } from './values/attribute-path';

/** A tfplugin6 Diagnostic in proto-loader's object form. */
export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
  attribute?: { steps: AttributePathStep[] };
}

/**
 * Builds the diagnostics Terraform shows: a short summary, a detail that says
 * what to do, and the attribute path so Terraform points at the offending
 * line. Everything passes the redactor, so a secret echoed by an error message
 * never reaches the terminal.
 */
export class DiagnosticBuilder {
  constructor(private readonly redactor: SecretRedactor) {}

  error(summary: string, detail: string, steps?: AttributePathStep[]): Diagnostic {
    return this.make('ERROR', summary, detail, steps);
  }

  warning(summary: string, detail: string, steps?: AttributePathStep[]): Diagnostic {
    return this.make('WARNING', summary, detail, steps);
  }

  /** One diagnostic per failure of the core's `check`, pointing at the Terraform attribute. */
  checkFailures(failures: readonly CheckFailure[], names: FieldNames): Diagnostic[] {
    return failures.map((failure) => {
      const path = propertyPathToTerraform(failure.property, names);
      const subject = failure.property === '' ? 'The configuration' : path.text;
      const reason = inTerraformNames(failure.reason, names);
      return this.error(`Invalid value for ${subject}`, sentence(subject, failure.property, reason), path.steps.length > 0 ? path.steps : undefined);
    });
  }

  /**
   * A diagnostic for an error a core call threw while `doing` something
   * (e.g. "creating vers_vm"). Typed core errors keep their message and code;
   * anything else is reported as a provider bug.
   */
  fromError(error: unknown, doing: string, names?: FieldNames): Diagnostic {
    if (error instanceof ValidationError) {
      const path = propertyPathToTerraform(error.property, names ?? {});
      return this.error(`Invalid value for ${path.text}`, `${path.text} ${error.rule}.`, path.steps.length > 0 ? path.steps : undefined);
    }
    if (error instanceof ConfigError) {
      const path = propertyPathToTerraform(error.option, names ?? {});
      return this.error('Invalid provider configuration', `${error.message}.`.replace(/\.\.$/, '.'), path.complete ? path.steps : undefined);
    }
    if (error instanceof PartialCreateError) {
      return this.error(
        `Error ${doing}: created but not completed`,
        `${error.message}\n\nTerraform recorded ${error.id} as tainted: the next apply replaces it, and destroy deletes it.${codeLine(error)}`,
      );
    }
    if (error instanceof ProviderError && !isBridgeError(error)) {
      return this.error(`Error ${doing}`, `${error.message}${codeLine(error)}`);
    }
    const message = error instanceof ProviderError ? `${error.message}${codeLine(error)}` : error instanceof Error ? error.message : String(error);
    return this.error(
      `Unexpected error ${doing}`,
      `${message}\n\nThis is a bug in terraform-provider-vers; please report it with the output of TF_LOG=debug.`,
    );
  }

  private make(severity: Diagnostic['severity'], summary: string, detail: string, steps?: AttributePathStep[]): Diagnostic {
    return {
      severity,
      summary: this.redactor.redact(summary),
      detail: this.redactor.redact(detail),
      ...(steps === undefined || steps.length === 0 ? {} : { attribute: { steps } }),
    };
  }
}

/** The core's reasons name other properties in backticks (`fromCommit`): show Terraform's spelling. */
function inTerraformNames(reason: string, names: FieldNames): string {
  return reason.replace(/`([A-Za-z][A-Za-z0-9]*)`/g, (whole, property: string) => {
    const terraformName = terraformNameOf(names, property);
    return terraformName === undefined ? whole : `\`${terraformName}\``;
  });
}

/** "subject reason." — unless the reason already names its subject (in either spelling) first. */
function sentence(subject: string, property: string, reason: string): string {
  let rest = reason;
  for (const prefix of [subject, property]) {
    if (prefix !== '' && rest.startsWith(`${prefix} `)) {
      rest = rest.slice(prefix.length + 1);
      break;
    }
  }
  return `${subject} ${rest}`.replace(/[.\s]*$/, '.');
}

function codeLine(error: ProviderError): string {
  const request = error.requestId === undefined ? '' : `, request id ${error.requestId}`;
  return `\n\n(error code ${error.code}${request})`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'ERROR');
}
