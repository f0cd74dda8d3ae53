// Times the FixMatch training step of a recipe as Training/Trainer.cs runs it: the labeled batch's weak view, then
// the method's loss (Methods/FixMatch.cs: the unlabeled batch's weak and strong views, one forward pass of all three,
// the masked loss and the recipe's other terms), backward, the optimizer (Nesterov's look-ahead and update), and the
// weight average. On random images stored as bytes, as a folder's or dataset's are (speed does not depend on content);
// evaluation excluded. Two recipes: fixmatch-fast (the lab's network, 1×28×28) and images-fast (airbench's, 3×32×32).
// bench/fixmatch_step.py and bench/airbench_step.py do the same in PyTorch from the same recipe files.
using System.Diagnostics;
using System.Globalization;
using Semisup;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;
using Semisup.Recipes;
using static TorchSharp.torch;

static class FixMatchBench
{
    /// <summary>A benchmarked recipe: its name in recipes/, the image shape it trains on, and the pools' sizes.</summary>
    public sealed record Case(string Name, string Recipe, int Channels, int Size, int LabeledPool, int UnlabeledPool, int Classes = 10);

    /// <summary>fixmatch-fast on MNIST-sized images (GammaBench's pools); images-fast on the colour set's shape and size
    /// (RESULTS: 1,000 labeled, 20,000 unlabeled 32×32 RGB).</summary>
    public static readonly Case FixMatchFast = new("fixmatch", "fixmatch-fast", 1, 28, 3000, 47000);
    public static readonly Case ImagesFast = new("airbench", "images-fast", 3, 32, 1000, 20000);

    public sealed class Setup : IDisposable
    {
        public readonly Recipe Recipe;
        public readonly FixMatch Method;
        public readonly Classifier Model;
        public readonly IOptimizer Optimizer;
        public readonly WeightAverage? Average;
        public readonly ImageSet Labeled, Unlabeled;
        long step;

        public Setup(Case c)
        {
            Recipe = RecipeFile.Load(c.Recipe);
            Method = Recipe.Method as FixMatch ?? throw new SemisupException($"recipes/{c.Recipe}.json: the benchmark times FixMatch, not {Recipe.MethodKind}.");
            Classifier Build() => Recipe.Model.Build(c.Channels, c.Size, c.Size, c.Classes);
            Model = Build();
            Optimizer = Recipe.Optimizer.Create(Model.parameters());
            Average = Recipe.AverageDecay > 0 ? WeightAverage.Of(Model, Build, Recipe.AverageDecay) : null;
            Labeled = new ImageSet(randint(0, 256, [c.LabeledPool, c.Channels, c.Size, c.Size], ScalarType.Byte), randint(0, c.Classes, [c.LabeledPool]));
            Unlabeled = new ImageSet(randint(0, 256, [c.UnlabeledPool, c.Channels, c.Size, c.Size], ScalarType.Byte), zeros(c.UnlabeledPool, ScalarType.Int64));
            Model.train();
        }

        public long Parameters => Model.parameters().Sum(p => p.numel());

        (Tensor Images, Tensor Labels, Tensor Unlabeled) NextBatch()
        {
            var li = randint(0, Labeled.Count, [Recipe.Run.LabeledBatch]);
            var ui = randint(0, Unlabeled.Count, [Recipe.Run.UnlabeledBatch]);
            return (Labeled.Batch(li), Labeled.Labels.index_select(0, li), Unlabeled.Batch(ui));
        }

        /// <summary>Trainer.Step's work, through the method's own loss.</summary>
        public void Step()
        {
            using var scope = NewDisposeScope();
            var (images, labels, u) = NextBatch();
            var x = Recipe.Augmentation.Apply(images);
            Optimizer.BeforeGradient();
            var loss = Method.Loss(Model, new Batch(x, labels, u, new Progress(1, 0, 1), Recipe.Augmentation) { Teacher = Average?.Model });
            loss.Total.item<float>();
            Optimizer.ZeroGrad();
            loss.Total.backward();
            Optimizer.Step();
            Average?.Update(step++);
            loss.Supervised?.item<float>();
            loss.Unsupervised?.item<float>();
        }

        public static readonly string[] PhaseNames = ["views (weak labeled, weak and strong unlabeled)", "forward", "loss", "backward", "optimizer", "weight average"];

        /// <summary>Where a step's time goes: the same work as <see cref="Step"/>, with FixMatch.Loss's parts written out
        /// so each can be timed (libtorch on CPU runs each call to completion); milliseconds per step of each phase.</summary>
        public double[] Phases(int steps)
        {
            if (Method.VirtualAdversarialWeight > 0) throw new SemisupException("the phases leave out VAT's term; time the step as a whole");
            var ms = new double[PhaseNames.Length];
            var clock = new Stopwatch();
            void Mark(int phase) { ms[phase] += clock.Elapsed.TotalMilliseconds; clock.Restart(); }
            var strong = Recipe.Augmentation.Strong!;
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                var (images, labels, u) = NextBatch();
                int nl = (int)images.shape[0], nu = (int)u.shape[0];
                clock.Restart();
                var views = new[] { Recipe.Augmentation.Apply(images), Recipe.Augmentation.Apply(u), strong.Apply(u) };
                Mark(0);
                Optimizer.BeforeGradient();
                Mark(4);
                var logits = Model.call(cat(views, 0));
                Mark(1);
                var (weakly, strongly) = (logits[nl..(nl + nu)], logits[(nl + nu)..]);
                var (confidence, pseudoLabel) = nn.functional.softmax(weakly.detach(), 1).max(1);
                var mask = confidence.ge(Method.Threshold).to_type(ScalarType.Float32);
                var unsupervised = (nn.functional.cross_entropy(strongly, pseudoLabel, reduction: nn.Reduction.None) * mask).mean();
                if (Method.MutualInformationWeight > 0)
                    unsupervised = unsupervised + Method.MutualInformationWeight * FixMatch.MutualInformation(nn.functional.softmax(weakly, 1), nn.functional.softmax(strongly, 1));
                var total = nn.functional.cross_entropy(logits[..nl], labels) + unsupervised;
                total.item<float>();
                Mark(2);
                Optimizer.ZeroGrad();
                total.backward();
                Mark(3);
                Optimizer.Step();
                Mark(4);
                Average?.Update(step++);
                Mark(5);
            }
            return [.. ms.Select(m => m / steps)];
        }

        public void Dispose()
        {
            Average?.Dispose();
            Optimizer.Dispose();
            Model.Dispose();
            Labeled.Dispose();
            Unlabeled.Dispose();
        }
    }

    /// <summary>For bench/paired.py, as GammaBench.Serve: warms up, prints "ready", then answers each line
    /// "NAME N" (N steps) with the seconds they took.</summary>
    public static void Serve(Case c)
    {
        using var setup = new Setup(c);
        Console.Error.WriteLine($"semisup {c.Name}: {setup.Parameters:N0} parameters");
        Timing.SecondsPerCall(setup.Step, 0, Timing.WarmupSteps);
        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line)
        {
            var request = line.Split(' ');
            if (request.Length != 2 || request[0] != c.Name) throw new ArgumentException($"unknown request '{line}': {c.Name} N");
            int count = int.Parse(request[1], CultureInfo.InvariantCulture);
            Console.WriteLine((count * Timing.SecondsPerCall(setup.Step, 0, count)).ToString("R", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>One run: the warm-up's and the steady step's speed on stdout, the phases on stderr.</summary>
    public static void Run(Case c, int threads, int steps)
    {
        using var setup = new Setup(c);
        double warmupSeconds = Timing.SecondsPerCall(setup.Step, 0, Timing.WarmupSteps);
        double stepSeconds = Timing.SecondsPerCall(setup.Step, 0, steps);
        var phases = setup.Phases(steps);
        var run = setup.Recipe.Run;
        Console.Error.WriteLine($"where a Semisup {c.Name} step goes ({run.LabeledBatch} + 2 × {run.UnlabeledBatch} images):");
        foreach (var (name, ms) in Setup.PhaseNames.Zip(phases))
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-48} {ms,7:F2} ms  {100 * ms / phases.Sum(),5:F1}%"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"semisup bench={c.Name} threads={threads} parameters={setup.Parameters} step_ms={1000 * stepSeconds:F2} steps_per_s={1 / stepSeconds:F2} warmup_steps_per_s={1 / warmupSeconds:F2}"));
    }
}
