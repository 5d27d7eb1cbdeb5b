import { serviceNameFor } from './start-telemetry';

describe('serviceNameFor', () => {
  it('appends the role to the configured name', () => {
    expect(serviceNameFor('lattice', 'client-api')).toBe('lattice-client-api');
  });

  it('does not append the role twice when the name already carries it', () => {
    expect(serviceNameFor('lattice-client-api', 'client-api')).toBe('lattice-client-api');
  });

  it('keeps the name of the single process as it is', () => {
    expect(serviceNameFor('lattice', 'all')).toBe('lattice');
  });
});
