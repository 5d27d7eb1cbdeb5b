import { startSynapsePeer } from '../support/federation-peer';
import { federationMediaSuite } from '../support/federation-media-suite';

/** Federation media between this server and a real Synapse (its media repository and Pillow thumbnails on, as by default). */
federationMediaSuite({ name: 'Synapse', start: startSynapsePeer });
