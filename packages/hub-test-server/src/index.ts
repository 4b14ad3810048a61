export { startHubServer, type HubRequest, type HubServer } from './hub-server.js';
export { DEFAULT_LFS_SUFFIXES, type HubRepo, type HubRevision } from './repo.js';
