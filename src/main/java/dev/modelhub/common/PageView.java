package dev.modelhub.common;

import java.util.List;
import java.util.function.Function;
import org.springframework.data.domain.Page;

/**
 * One page of a list.
 *
 * @param items the page's items
 * @param page zero-based page number
 * @param size requested page size
 * @param totalItems items in all pages
 * @param totalPages number of pages
 */
public record PageView<T>(List<T> items, int page, int size, long totalItems, int totalPages) {

  /** The highest page number a list takes (beyond it, offsets would overflow the database's). */
  public static final int MAX_PAGE = 1_000_000;

  /** A page of a Spring Data query, its items mapped. */
  public static <E, T> PageView<T> of(Page<E> page, Function<List<E>, List<T>> mapper) {
    return new PageView<>(
        mapper.apply(page.getContent()),
        page.getNumber(),
        page.getSize(),
        page.getTotalElements(),
        page.getTotalPages());
  }

  /** A page of items fetched with LIMIT/OFFSET out of {@code total}. */
  public static <T> PageView<T> of(List<T> items, int page, int size, long total) {
    return new PageView<>(items, page, size, total, (int) ((total + size - 1) / size));
  }
}
