package dev.modelhub.security.internal;

import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** An authenticated key or JWT, as Spring Security holds it. Never carries the credential. */
public final class CallerAuthentication extends AbstractAuthenticationToken {

  private final Identity identity;

  public CallerAuthentication(Identity identity) {
    // Role authorities rule Actuator, which shows every model: a key limited to some models gets
    // none, so it cannot scrape other models' metrics or health details.
    super(
        identity.role() == null || !identity.scope().unrestricted()
            ? List.of()
            : identity.role().authorities().stream().map(SimpleGrantedAuthority::new).toList());
    this.identity = identity;
    setAuthenticated(true);
  }

  public Identity identity() {
    return identity;
  }

  @Override
  public Object getCredentials() {
    return "";
  }

  @Override
  public Object getPrincipal() {
    return identity;
  }

  @Override
  public String getName() {
    return identity.name();
  }
}
