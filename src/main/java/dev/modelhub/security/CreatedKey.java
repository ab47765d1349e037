package dev.modelhub.security;

/**
 * A key just made: the only time its secret is shown.
 *
 * @param key the API key to send as {@code Authorization: Bearer <key>}; stored only as a hash
 * @param details the key's record
 */
public record CreatedKey(String key, KeyView details) {

  @Override
  public String toString() {
    return "CreatedKey[key=***, details=" + details + "]";
  }
}
