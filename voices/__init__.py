"""Speech DSP and models: decoding, the quality gate, voice profiles and synthesis.

Nothing here knows about HTTP or storage: arrays in, arrays out, so the same code
serves the API, the realtime pipeline, the benchmarks and the tests.
"""
