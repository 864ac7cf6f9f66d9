// GOV.UK Frontend's template marks the body before it renders (a file, not inline, so the CSP allows only 'self').
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
