package dev.modelhub.security.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.time.Duration;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.web.context.SecurityContextRepository;

/**
 * The dashboard's sign-in: the API key a person pasted is held in their server session (never in a
 * URL, a cookie's value or the browser's storage) and checked again on every request, so that a key
 * revoked or expired since sign-in stops working at once, as it does for the API.
 */
public final class DashboardSessions implements SecurityContextRepository {

  /** The session attribute holding the signed-in key. */
  static final String KEY = DashboardSessions.class.getName() + ".key";

  private final KeyAuthenticator keys;
  private final Duration signedIn;

  /**
   * @param signedIn how long a signed-in session lasts without a request (sessions before sign-in,
   *     which hold only the form's CSRF token, keep the server's shorter default)
   */
  public DashboardSessions(KeyAuthenticator keys, Duration signedIn) {
    this.keys = keys;
    this.signedIn = signedIn;
  }

  /**
   * Signs {@code key} in: checks it, then starts a new session (a session id known before sign-in
   * is not carried over) holding it.
   *
   * @throws KeyAuthenticator.InvalidKey the key is unknown, expired or revoked
   * @throws AuthenticationException the keys cannot be read now
   */
  public void signIn(HttpServletRequest request, String key) {
    keys.authenticate(new BearerTokenAuthenticationToken(key));
    HttpSession old = request.getSession(false);
    if (old != null) {
      old.invalidate();
    }
    HttpSession session = request.getSession(true);
    session.setMaxInactiveInterval(Math.toIntExact(signedIn.toSeconds()));
    session.setAttribute(KEY, key);
  }

  public void signOut(HttpServletRequest request) {
    HttpSession session = request.getSession(false);
    if (session != null) {
      session.invalidate();
    }
  }

  @Override
  @SuppressWarnings("deprecation")
  public SecurityContext loadContext(
      org.springframework.security.web.context.HttpRequestResponseHolder holder) {
    return load(holder.getRequest());
  }

  private SecurityContext load(HttpServletRequest request) {
    SecurityContext context = SecurityContextHolder.createEmptyContext();
    HttpSession session = request.getSession(false);
    if (session != null && session.getAttribute(KEY) instanceof String key) {
      try {
        context.setAuthentication(keys.authenticate(new BearerTokenAuthenticationToken(key)));
      } catch (KeyAuthenticator.InvalidKey e) {
        session.invalidate(); // revoked or expired since sign-in: sign in again
      } catch (AuthenticationException e) {
        // the keys cannot be read now: this request goes unauthenticated, the session stays
      }
    }
    return context;
  }

  @Override
  public void saveContext(
      SecurityContext context, HttpServletRequest request, HttpServletResponse response) {
    // The key is put in the session by signIn, nowhere else.
  }

  @Override
  public boolean containsContext(HttpServletRequest request) {
    HttpSession session = request.getSession(false);
    return session != null && session.getAttribute(KEY) != null;
  }
}
