import { checkHostRequirements } from './host-requirements';
import { findHostBinary } from './sandbox/host-binaries';

describe('host requirements', () => {
  test('this test machine has everything vers-local needs, including a working overlay over the host root', async () => {
    expect(await checkHostRequirements()).toEqual([]);
  });

  test('a missing program is found missing, present ones by absolute path', () => {
    expect(findHostBinary('no-such-program-vers-local')).toBeUndefined();
    expect(findHostBinary('nsenter')).toMatch(/^\/.*\/nsenter$/);
  });
});
