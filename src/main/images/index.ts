export {
  IMAGE_CACHE_DIR_NAME,
  ImageCache,
  imageResponseHeaders,
  looksLike,
  type FetchImage,
  type FetchedImage,
  type ImageAnswer,
  type ImageCacheOptions,
} from './imageCache';
