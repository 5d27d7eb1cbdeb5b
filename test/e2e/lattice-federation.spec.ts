import { startLatticePeer } from '../support/federation-peer';
import { federationSuite } from '../support/federation-suite';

/** Federation between two deployments of this server: the scenarios proven against Synapse, a second Lattice as the peer. */
federationSuite({ name: 'Lattice B', start: startLatticePeer });
