// Times the augmentation of one Γ batch (50 labeled images): bilinear (libtorch's grid_sample) against bicubic
// (Augment's one gather of 16 taps per pixel, as TorchSharp lacks libtorch's bicubic mode). bench/augment_step.py
// does the same in PyTorch, with its native bicubic grid_sample and, for reference, scipy's per-image rotate as the
// lab did.
using System.Globalization;
using Semisup.Data;
using static TorchSharp.torch;

static class AugmentBench
{
    public static void Run(int threads, int steps)
    {
        using var images = rand(3000, 1, 28, 28);
        var line = new List<string> { $"semisup bench=augment threads={threads}" };
        foreach (var interpolation in Augment.Interpolations)
        {
            var augment = new Augment(Interpolation: interpolation);
            double seconds = Timing.SecondsPerCall(() =>
            {
                using var scope = NewDisposeScope();
                augment.Apply(images.index_select(0, randint(0, 3000, [50])));
            }, 20, steps);
            line.Add(string.Create(CultureInfo.InvariantCulture, $"{interpolation}_ms={1000 * seconds:F3}"));
        }
        Console.WriteLine(string.Join(' ', line));
    }
}
