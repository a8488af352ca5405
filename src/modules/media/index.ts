/** The media module's public API: stored images (logos, avatars) and reading an uploaded one. */
export { createMediaService, sniffImage, toMediaResponse, type MediaService } from "./media.service.js";
export { imageSource, readMediaField, type ImageSource } from "./upload.js";
export { mediaOfTenant, recordUploadedMedia } from "./media.repo.js";
