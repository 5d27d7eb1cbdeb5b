import { startSynapsePeer } from '../support/federation-peer';
import { federationSuite } from '../support/federation-suite';

/** Federation between this server and a real Synapse (the suite's scenarios, Synapse as the peer). */
federationSuite({ name: 'Synapse', start: startSynapsePeer });
