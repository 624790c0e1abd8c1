import { freshDirsFor, relativeLowerDirs } from './vm-layout';

describe('VM filesystem layout', () => {
  test('commit layers are passed to overlayfs relative to their common parent, newest first', () => {
    expect(relativeLowerDirs([])).toEqual({ base: '/', lowers: '' });
    expect(relativeLowerDirs(['/state/commits/c2', '/state/commits/c1'])).toEqual({ base: '/state/commits', lowers: 'c2:c1' });
    expect(relativeLowerDirs(['/state/commits/c2', '/other/c1'])).toEqual({ base: '/', lowers: 'state/commits/c2:other/c1' });
    expect(relativeLowerDirs(['/state/commits/c1'])).toEqual({ base: '/state/commits', lowers: 'c1' });
  });

  test('a chain too long for one mount option page is refused', () => {
    const layers = Array.from({ length: 200 }, (_, index) => `/state/commits/${String(index).padStart(36, '0')}`);
    expect(relativeLowerDirs(layers)).toBeUndefined();
  });

  test('root VMs get a fresh home, scratch dirs and a hidden state dir, with the host parents copied for attributes', () => {
    const { freshDirs, attrRefs } = freshDirsFor('/var/lib/vers-local-test-state');
    expect(freshDirs).toEqual(['/root', '/tmp', '/var/tmp', '/run', '/var/lib/vers-local-test-state']);
    expect(attrRefs).toEqual(expect.arrayContaining(['/root', '/tmp', '/var/tmp', '/var', '/var/lib']));
    expect(attrRefs).not.toContain('/var/lib/vers-local-test-state'); // does not exist on the host
    expect(freshDirsFor('/tmp/vers-state').freshDirs).not.toContain('/tmp/vers-state'); // already inside a fresh dir
  });
});
