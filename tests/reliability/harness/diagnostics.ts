/**
 * Terraform's `Error:` diagnostics from its -no-color output, each as one
 * line (terraform wraps long details over several lines).
 */
export function diagnostics(output: string): string[] {
  return output
    .split(/\n(?=\s*Error: )/)
    .map((block) => block.trim())
    .filter((block) => block.startsWith('Error: '))
    .map((block) => block.replace(/\s+/g, ' '));
}
