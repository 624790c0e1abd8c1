export { ensureTlsMaterial } from './certificate-authority';
export type { TlsMaterial, TlsMaterialOptions } from './certificate-authority';
