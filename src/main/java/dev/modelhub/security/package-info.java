/**
 * Who may do what: API keys (hashed at rest, looked up by a non-secret prefix) and optional OIDC
 * JWTs, the four roles {@code viewer} &lt; {@code publisher} &lt; {@code deployer} &lt; {@code
 * admin}, keys limited to model-name patterns, and the audit trail every change and every refusal
 * is written to. Controllers of other features state the least role an operation needs with {@link
 * dev.modelhub.security.Allow}; they receive the authenticated {@link dev.modelhub.security.Caller}
 * as a method argument and record changes with {@link dev.modelhub.security.AuditLog} in their own
 * transaction.
 */
@org.springframework.modulith.ApplicationModule
package dev.modelhub.security;
