package dev.modelhub.security.internal;

import dev.modelhub.security.AccessProperties;
import dev.modelhub.security.Caller;
import dev.modelhub.security.ModelScope;
import dev.modelhub.security.Role;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;

/**
 * Reads a verified JWT as a caller: its name, role and model patterns from the claims named in
 * {@code modelhub.security.jwt.*}. A token without a known role may do nothing; a malformed
 * patterns claim fails the token rather than widen what it may touch.
 */
public class JwtCallers implements Converter<Jwt, CallerAuthentication> {

  private static final Pattern MODEL_PATTERN = Pattern.compile(ModelScope.PATTERN);

  private final AccessProperties.Jwt claims;

  public JwtCallers(AccessProperties properties) {
    this.claims = properties.jwt();
  }

  @Override
  public CallerAuthentication convert(Jwt jwt) {
    String name = jwt.getClaimAsString(claims.nameClaim());
    if (name == null || name.isBlank()) {
      throw new InvalidBearerTokenException("the token has no '" + claims.nameClaim() + "' claim");
    }
    return new CallerAuthentication(
        new Identity(name.strip(), Caller.Kind.JWT, role(jwt).orElse(null), scope(jwt), null));
  }

  private Optional<Role> role(Jwt jwt) {
    return strings(jwt.getClaim(claims.roleClaim())).stream()
        .map(Role::fromId)
        .flatMap(Optional::stream)
        .max(Enum::compareTo);
  }

  private ModelScope scope(Jwt jwt) {
    Object claim = jwt.getClaim(claims.modelsClaim());
    if (claim == null) {
      return ModelScope.ALL;
    }
    List<String> patterns = strings(claim);
    if (patterns.isEmpty()
        || !patterns.stream().allMatch(p -> MODEL_PATTERN.matcher(p).matches())) {
      throw new InvalidBearerTokenException(
          "the '" + claims.modelsClaim() + "' claim must list model-name patterns");
    }
    return new ModelScope(patterns);
  }

  /** A claim as strings: a list, or one string of names separated by spaces or commas. */
  private static List<String> strings(Object claim) {
    List<String> values = new ArrayList<>();
    if (claim instanceof Collection<?> list) {
      list.forEach(v -> values.add(String.valueOf(v).strip()));
    } else if (claim != null) {
      for (String part : claim.toString().split("[\\s,]+")) {
        if (!part.isBlank()) {
          values.add(part.strip());
        }
      }
    }
    return values;
  }
}
