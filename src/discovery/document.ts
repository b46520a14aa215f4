/** API version headers of the ping handshake (cli-protocol.md §2.2): the cloud block needs ≥ 2.5; 2.6 is the highest any CLI path checks. */
export const API_VERSION_HEADERS = {
  'TFP-API-Version': '2.6',
  // Enterprise, as a self-hosted server is; X-TFE-Version must then be vYYYYMM-N ≥ v202302-1 for structured run output (§6.5).
  'TFP-AppName': 'Terraform Enterprise',
  'X-TFE-Version': 'v202511-1',
} as const;

/** The service discovery document (cli-protocol.md §1): relative URLs, resolved by the client against this host. */
export const DISCOVERY_DOCUMENT = {
  'tfe.v2': '/api/v2/',
  'tfe.v2.1': '/api/v2/',
  'tfe.v2.2': '/api/v2/',
  'state.v2': '/api/v2/',
  // The private module registry's protocol (cli-protocol.md §8).
  'modules.v1': '/api/registry/v1/modules/',
  'providers.v1': '/api/registry/v1/providers/',
  'login.v1': {
    client: 'terraform-cli',
    grant_types: ['authz_code'],
    authz: '/app/oauth2/authorize',
    token: '/oauth2/token',
    ports: [10000, 10010],
  },
} as const;
