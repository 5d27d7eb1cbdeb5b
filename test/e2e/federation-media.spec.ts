import { startLatticePeer } from '../support/federation-peer';
import { federationMediaSuite } from '../support/federation-media-suite';

/** Federation media between two deployments of this server: the scenarios proven against Synapse, a second Lattice as the peer. */
federationMediaSuite({ name: 'Lattice B', start: startLatticePeer });
