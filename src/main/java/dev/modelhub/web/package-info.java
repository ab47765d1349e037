/**
 * The web dashboard ({@code /ui}): server-rendered pages (Thymeleaf, htmx) over the same services
 * as the REST API, so every rule — roles, model scopes, validation, audit — is the API's. A person
 * signs in with an API key (see the security feature's dashboard chain); errors the API would
 * answer as problems are shown in words on the page.
 */
@org.springframework.modulith.ApplicationModule(displayName = "Dashboard")
package dev.modelhub.web;
