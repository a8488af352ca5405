/** The collaborators module's public API: collaborators, their view permissions, and how a collaborator's requests are narrowed and its answers redacted. */
export { collaboratorsRoutes } from "./collaborators.routes.js";
export { createCollaboratorsService, type CollaboratorsService } from "./collaborators.service.js";
export { COLLABORATOR_ROUTES, createCollaboratorAccess, type CollaboratorAccess } from "./access.js";
export { PERMISSION_FLAGS, type PermissionFlag, type Permissions } from "./collaborators.schemas.js";
export { redact } from "./redaction.js";
