// Times one ladder training step (paper sizes 784-1000-500-250-250-250-10, 100 labeled + 100 unlabeled images:
// clean and corrupted encoder passes, the full decoder, the cost with λ at every layer, backward, Adam) on random
// images. bench/ladder_step.py does the identical work in PyTorch.
using System.Globalization;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

static class LadderBench
{
    public static void Run(int threads, int steps)
    {
        using var model = new LadderNet(new LadderConfig(LadderConfig.PaperLayers));
        var adam = optim.Adam(model.parameters(), 2e-3);
        var ladder = new Ladder([1000, 10, 0.1, 0.1, 0.1, 0.1, 0.1]);
        using var labeled = rand(100, 1, 28, 28);
        using var labels = randint(0, 10, [100]);
        using var unlabeled = rand(50000, 1, 28, 28);

        void Step()
        {
            using var scope = NewDisposeScope();
            var ui = randint(0, 50000, [100]);
            var loss = ladder.Loss(model, new Batch(labeled, labels, unlabeled.index_select(0, ui), new Progress(1, 0, 1), new Semisup.Data.Augment()));
            adam.zero_grad();
            loss.Total.backward();
            adam.step();
            loss.Total.item<float>();
        }

        model.train();
        double warmupSeconds = Timing.SecondsPerCall(Step, 0, Timing.WarmupSteps);
        double stepSeconds = Timing.SecondsPerCall(Step, 0, steps);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"semisup bench=ladder threads={threads} step_ms={1000 * stepSeconds:F2} steps_per_s={1 / stepSeconds:F2} train_images_per_s={200 / stepSeconds:F0} warmup_steps_per_s={1 / warmupSeconds:F2}"));
    }
}
