// The playground's start-up script, served as /playground/playground.js (plain browser JavaScript,
// kept in a string so that the build needs no asset copying).
export const PLAYGROUND_SCRIPT = `(function () {
  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: params.get('query') || '# Paste an admin access token into the Headers tab:\\n# { "Authorization": "Bearer <token>" }\\n{\\n  loginOptions(platform: IOS, wechatInstalled: true) {\\n    showWechatButton\\n    methods\\n  }\\n}\\n',
      defaultHeaders: '{\\n  "Authorization": "Bearer "\\n}',
      headerEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
`;
