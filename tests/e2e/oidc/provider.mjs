// A real OpenID Connect provider for Muster's single sign-on tests: the certified
// `oidc-provider` (npm, installed by `npm ci`), on 127.0.0.1, with one confidential client
// (authorization code, PKCE required) and a few fixed accounts.
//
// Usage: node tests/e2e/oidc/provider.mjs  (configuration in the OIDC_TEST_CONFIG
// environment variable, JSON):
//   {"port": 0, "client_id": "...", "client_secret": "...", "redirect_uris": ["..."],
//    "accounts": {"<sub>": {"email": "...", "email_verified": true, "name": "..."}}}
// Prints "listening <issuer>" on stdout once it answers. Sign-in and consent use the
// library's development interactions: any password, the account's sub as the login.
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const server = createServer();

server.listen(config.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(ctx, sub) {
      const account = config.accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, async claims() { return { sub, ...account }; } };
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['muster-sso-tests-only'] },
  });
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
