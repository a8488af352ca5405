/** The events module's public API: recording an event in the caller's transaction, the event types, the feed. */
export { eventsRoutes } from "./events.routes.js";
export {
  createEventsService,
  deliveryJobKey,
  eventById,
  eventTypesOf,
  listenToEvents,
  pruneEvents,
  recordEvent,
  recordEvents,
  recordUnroutedEvent,
  toEventResponse,
  type EventListener,
  type EventObject,
  type EventSource,
  type EventsService,
  type RecordEventInput,
} from "./events.service.js";
export { EVENT_TYPE_LIST, EVENT_TYPES, WILDCARD_EVENT, type EventObjectType, type EventType } from "./event-types.js";
export { replaceEventData, scrubEventsOf, scrubEventsOfUserObjects } from "./events.erase.js";
