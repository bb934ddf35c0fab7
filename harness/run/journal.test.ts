import { parseScenario } from '../scenario/load';
import { deploymentOf } from './journal';

const scenario = (topology: string) => parseScenario(`name: x\ndescription: y\nload: { rate: 10, duration: 1s }\nthresholds: [{ metric: errors, max: 0 }]\n${topology}`, 'x.yaml');

it('describes the deployment in words: presets by name, your own by image, the protocol with its encoding', () => {
  expect(deploymentOf(scenario(''))).toEqual({ gateway: 'reference', replicas: 'reference', protocol: 'v1' });
  expect(deploymentOf(scenario('topology: { gateway: nginx, protocol: oip-v2 }'))).toEqual({ gateway: 'nginx', replicas: 'reference', protocol: 'oip-v2 (binary tensors)' });
  expect(deploymentOf(scenario('topology: { replicas: kserve, protocol: { name: oip-v2, encoding: json } }'))).toEqual({ gateway: 'reference', replicas: 'kserve', protocol: 'oip-v2 (json tensors)' });
});
