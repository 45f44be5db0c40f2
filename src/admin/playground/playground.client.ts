// The playground's start-up script, served as /playground/playground.js (plain browser JavaScript,
// kept in a string so that the build needs no asset copying; String.raw keeps its backslashes).
//
// An admin signs in by phone (sendSmsCode LOGIN + loginWithPhone); the session lives in this page's
// memory only (a reload signs out). GraphiQL's fetcher puts the access token on every request,
// refreshes it with refreshSession a minute before it expires (measured from the token's own
// lifetime, so a wrong local clock does not matter; one refresh at a time: the server's
// refresh tokens rotate) and once more when the server answers UNAUTHENTICATED.
export const PLAYGROUND_SCRIPT = String.raw`(function () {
  'use strict';
  var h = React.createElement;
  var endpoint = window.location.origin + '/graphql';
  var params = new URLSearchParams(window.location.search);
  var meta = function (name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') || '' : '';
  };
  var sandbox = meta('wechat-login-mode') === 'sandbox';
  var defaultPhone = meta('wechat-login-admin-phone');

  var SESSION = 'accessToken accessTokenExpiresAt refreshToken user { id phone nickname }';
  var ADMIN_TABS = [
    '# Users: search by phone, nickname, user id, openid or unionid\nquery AdminUsers {\n  adminUsers(first: 20) {\n    total\n    nextCursor\n    items { id phone nickname status roles activeSessions lastLoginAt }\n  }\n}\n',
    '# The audit trail, newest first\nquery AdminAuditEvents {\n  adminAuditEvents(first: 20) {\n    nextCursor\n    items { id action actorUserId subjectUserId ip details createdAt }\n  }\n}\n',
    '# Logins, new users, bindings and failures by code (default: the last 24 hours)\nquery AdminLoginStats {\n  adminLoginStats {\n    newUsers\n    phoneLogins\n    wechatLogins\n    bindings\n    failuresByCode { code count }\n  }\n}\n',
    '# The WeChat token refresh job\nquery AdminTokenRefreshStatus {\n  adminTokenRefreshStatus {\n    active\n    dueWithinWindow\n    reauthRequired\n    lastRunAt\n    lastRunRefreshed\n    lastRunFailed\n  }\n}\n',
    '# One user in full (id from AdminUsers)\nquery AdminUser($id: ID!) {\n  adminUser(id: $id) {\n    id phone nickname status roles createdAt lastLoginAt activeSessions\n    wechatIdentities { appId openid unionid grantStatus }\n  }\n}\n',
    '# Ban, unban, end sessions, unlink WeChat (replace the ids)\nmutation AdminBanUser {\n  adminBanUser(id: "USER_ID", reason: "why") { id status }\n}\n\nmutation AdminUnbanUser {\n  adminUnbanUser(id: "USER_ID") { id status }\n}\n\nmutation AdminRevokeSessions {\n  adminRevokeSessions(userId: "USER_ID")\n}\n\nmutation AdminUnlinkWechat {\n  adminUnlinkWechat(userId: "USER_ID") { id wechatIdentities { appId } }\n}\n\nmutation AdminRunTokenRefresh {\n  adminRunTokenRefresh { lastRunAt lastRunRefreshed lastRunFailed }\n}\n',
  ];

  // ---- the session: memory only
  var session = null;
  var refreshing = null;
  var timer = null;
  var listeners = [];
  // How long the token lives, from its own iat/exp claims: this machine's clock may be off.
  function lifetimeMs(s) {
    try {
      var part = s.accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var claims = JSON.parse(atob(part));
      if (claims.exp > claims.iat) return (claims.exp - claims.iat) * 1000;
    } catch (e) {
      // not a JWT we can read: trust the server's expiry
    }
    return Date.parse(s.accessTokenExpiresAt) - Date.now();
  }
  function setSession(next) {
    session = next;
    clearTimeout(timer);
    if (session) {
      session.expiresAtLocal = Date.now() + lifetimeMs(session);
      var wait = session.expiresAtLocal - Date.now() - 60000;
      timer = setTimeout(function () { refresh().catch(function () {}); }, Math.max(wait, 1000));
    }
    listeners.forEach(function (listener) { listener(session); });
  }

  function call(query, variables, token) {
    var headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables }) })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var error = new Error(body.errors[0].message);
          error.code = (body.errors[0].extensions || {}).code;
          throw error;
        }
        return body.data;
      });
  }

  // One refresh at a time: a second use of the same refresh token would end the session.
  function refresh() {
    if (!session) return Promise.resolve(null);
    if (!refreshing) {
      refreshing = call('mutation PlaygroundRefresh($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ' + SESSION + ' } }', { refreshToken: session.refreshToken })
        .then(function (data) { setSession(data.refreshSession); return session; }, function (error) {
          if (error.code === 'UNAUTHENTICATED' || error.code === 'USER_BANNED') setSession(null);
          throw error;
        })
        .finally(function () { refreshing = null; });
    }
    return refreshing;
  }

  function accessToken() {
    if (!session) return Promise.resolve(null);
    if (session.expiresAtLocal - Date.now() > 30000) return Promise.resolve(session.accessToken);
    return refresh().then(function (s) { return s && s.accessToken; });
  }

  function hasAuthorization(headers) {
    return Object.keys(headers).some(function (k) { return k.toLowerCase() === 'authorization'; });
  }

  function send(graphQLParams, extraHeaders, token) {
    var headers = Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, extraHeaders);
    if (token && !hasAuthorization(headers)) headers.authorization = 'Bearer ' + token;
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify(graphQLParams) }).then(function (res) { return res.json(); });
  }

  // GraphiQL can keep the previous tab's operation name after a tab switch (its default tabs carry
  // only a query): a name the document does not define is dropped, so a one-operation tab just runs.
  function withKnownOperation(params) {
    var name = params && params.operationName;
    if (!name || typeof params.query !== 'string') return params;
    var defined = new RegExp('\\b(query|mutation|subscription)\\s+' + name + '\\b').test(params.query);
    return defined ? params : Object.assign({}, params, { operationName: undefined });
  }

  // GraphiQL's fetcher: the header editor's headers win over ours.
  function fetcher(rawParams, options) {
    var graphQLParams = withKnownOperation(rawParams);
    var extra = (options && options.headers) || {};
    return accessToken().then(function (token) {
      return send(graphQLParams, extra, token).then(function (result) {
        var code = result && result.errors && result.errors[0] && (result.errors[0].extensions || {}).code;
        if (code !== 'UNAUTHENTICATED' || !token || !session || hasAuthorization(extra)) return result;
        return refresh().then(function (s) { return send(graphQLParams, extra, s.accessToken); }, function () { return result; });
      });
    });
  }

  // ---- the sign-in bar
  function SignIn() {
    var state = React.useState(session);
    var current = state[0];
    var setCurrent = state[1];
    var phoneState = React.useState(defaultPhone);
    var codeState = React.useState('');
    var sentState = React.useState(false);
    var messageState = React.useState('');
    var busyState = React.useState(false);
    React.useEffect(function () {
      listeners.push(setCurrent);
      return function () { listeners = listeners.filter(function (l) { return l !== setCurrent; }); };
    }, []);

    function run(promise) {
      busyState[1](true);
      messageState[1]('');
      return promise
        .catch(function (error) { messageState[1]((error.code ? error.code + ': ' : '') + error.message); })
        .finally(function () { busyState[1](false); });
    }
    function sendCode(event) {
      event.preventDefault();
      run(call('mutation PlaygroundSendCode($phone: String!) { sendSmsCode(input: { phone: $phone, purpose: LOGIN }) { phone } }', { phone: phoneState[0] })
        .then(function (data) { sentState[1](true); messageState[1]('Code sent to ' + data.sendSmsCode.phone + '.'); }));
    }
    function signIn(event) {
      event.preventDefault();
      run(call('mutation PlaygroundLogin($phone: String!, $smsCode: String!) { loginWithPhone(input: { phone: $phone, smsCode: $smsCode }) { ' + SESSION + ' } }', { phone: phoneState[0], smsCode: codeState[0] })
        .then(function (data) { codeState[1](''); sentState[1](false); setSession(data.loginWithPhone); }));
    }
    function signOut() {
      var token = session && session.accessToken;
      setSession(null);
      if (token) call('mutation PlaygroundLogout { logout }', {}, token).catch(function () {});
    }

    var busy = busyState[0];
    if (current) {
      return h('div', { className: 'wl-bar' },
        h('span', { className: 'wl-who', 'data-testid': 'signed-in' }, 'Signed in as ' + (current.user.phone || current.user.id) + ' (user ' + current.user.id + ')'),
        h('button', { type: 'button', onClick: signOut }, 'Sign out'));
    }
    var outbox = '/sandbox/sms/outbox?phone=' + encodeURIComponent(phoneState[0]);
    return h('form', { className: 'wl-bar', onSubmit: sentState[0] ? signIn : sendCode },
      h('strong', null, 'Admin sign-in'),
      h('input', { 'aria-label': 'Phone', placeholder: '+8613800000000', value: phoneState[0], onChange: function (e) { phoneState[1](e.target.value); } }),
      h('button', { type: 'button', disabled: busy || !phoneState[0], onClick: sendCode }, sentState[0] ? 'Resend code' : 'Send code'),
      h('input', { 'aria-label': 'SMS code', placeholder: 'SMS code', inputMode: 'numeric', autoComplete: 'one-time-code', value: codeState[0], onChange: function (e) { codeState[1](e.target.value); } }),
      h('button', { type: 'submit', disabled: busy || !codeState[0] }, 'Sign in'),
      sandbox ? h('span', { className: 'wl-hint' }, 'Sandbox: the code is in the ', h('a', { href: outbox, target: '_blank', rel: 'noopener' }, 'SMS outbox'), '.') : null,
      messageState[0] ? h('span', { className: 'wl-message', role: 'status' }, messageState[0]) : null);
  }

  // GraphiQL fetches the schema again when the fetcher changes: after a sign-in, production
  // answers introspection (admins only).
  function App() {
    var state = React.useState(session);
    React.useEffect(function () {
      listeners.push(state[1]);
      return function () { listeners = listeners.filter(function (l) { return l !== state[1]; }); };
    }, []);
    var userId = state[0] ? state[0].user.id : '';
    var bound = React.useMemo(function () { return function (p, o) { return fetcher(p, o); }; }, [userId]);
    var first = params.get('query');
    var tabs = (first ? [first] : []).concat(ADMIN_TABS).map(function (query) { return { query: query }; });
    return h(React.Fragment, null,
      h(SignIn),
      h('div', { className: 'wl-graphiql' },
        h(GraphiQL, {
          fetcher: bound,
          defaultTabs: tabs,
          defaultHeaders: '{}',
          headerEditorEnabled: true,
          shouldPersistHeaders: false,
        })));
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(h(App));
})();
`;
