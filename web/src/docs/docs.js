// Swagger UI for the embedded stack's API (`tfnis serve`, /docs), from swagger-ui-dist on npm: nothing is
// loaded from a CDN. GET /openapi.json sits behind the JWT authorizer as every route does, so the page takes
// the upload page's session token if there is one, else signs in as the stack's first dev council; "Authorize"
// takes another token (the research team's, for /references). Local only: on AWS there is no dev sign-in.
const SESSION_KEY = "tfnis.session"; // the upload page's (web/src/app.js)

async function councilToken() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (saved && saved.token) return saved.token;
  } catch {
    // no usable session: sign in below
  }
  const councils = await (await fetch("/dev/councils", { cache: "no-store" })).json();
  const signedIn = await fetch("/dev/sign-in", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ la_code: councils.councils[0].la_code }),
  });
  return (await signedIn.json()).id_token;
}

async function start() {
  const token = await councilToken();
  const ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // the document's own request, and any "Try it out" made before "Authorize": the council's token
    requestInterceptor: (request) => {
      if (!request.headers.Authorization) request.headers.Authorization = `Bearer ${token}`;
      return request;
    },
    onComplete: () => ui.preauthorizeApiKey("CognitoJwt", token),
  });
}

start();
