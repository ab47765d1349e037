/**
 * What every feature shares: the base of client-visible errors, the single place that turns them
 * into RFC 9457 problems, the clock, and the name of whoever makes a change.
 */
@org.springframework.modulith.ApplicationModule(
    type = org.springframework.modulith.ApplicationModule.Type.OPEN)
package dev.modelhub.common;
