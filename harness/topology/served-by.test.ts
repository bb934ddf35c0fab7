import { servedByRole } from './served-by';

describe('servedByRole', () => {
  const byPort = { header: 'x-upstream', primary: ':8666', standby: ':8667' };

  it('names the replica by the whole value or its ending', () => {
    expect(servedByRole('primary', { header: 'x-served-by', primary: 'primary', standby: 'standby' })).toBe('primary');
    expect(servedByRole('172.18.0.2:8667', byPort)).toBe('standby');
    expect(servedByRole('toxiproxy:8666', { header: 'x-upstream', primary: 'toxiproxy:8666', standby: 'toxiproxy:8667' })).toBe('primary');
  });

  it('takes the last of the upstreams a gateway tried: that one answered', () => {
    expect(servedByRole('172.18.0.2:8666, 172.18.0.2:8667', byPort)).toBe('standby');
  });

  it('names nobody for a value that matches neither, an empty one, or none', () => {
    expect(servedByRole('172.18.0.2:9999', byPort)).toBeUndefined();
    expect(servedByRole('', byPort)).toBeUndefined();
    expect(servedByRole(undefined, byPort)).toBeUndefined();
  });
});
