// libtorch's default random generator is process-wide: tests that fix a seed and compare exact results (resume,
// gradient contracts) must not interleave with other tests drawing random numbers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
