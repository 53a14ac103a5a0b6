namespace InSitu.Imaging;

/// <summary>Discrete Fourier transforms of power-of-two sizes (iterative radix-2 Cooley-Tukey), in place.</summary>
public static class Fourier
{
    /// <summary>Forward transform of n complex values (n a power of two) held as separate real and imaginary arrays.</summary>
    public static void Transform(double[] re, double[] im)
    {
        int n = re.Length;
        if (n != im.Length || n == 0 || (n & (n - 1)) != 0)
            throw new ArgumentException("the FFT needs two arrays of one power-of-two length");
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            double angle = -2 * Math.PI / len;
            double wr = Math.Cos(angle), wi = Math.Sin(angle);
            for (int start = 0; start < n; start += len)
            {
                double cr = 1, ci = 0;
                for (int k = 0; k < len / 2; k++)
                {
                    int a = start + k, b = a + len / 2;
                    double tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
                    re[b] = re[a] - tr; im[b] = im[a] - ti;
                    re[a] += tr; im[a] += ti;
                    (cr, ci) = (cr * wr - ci * wi, cr * wi + ci * wr);
                }
            }
        }
    }

    /// <summary>|F|^2 of a real n x n block (n a power of two), row-major, unnormalised.</summary>
    public static double[] PowerSpectrum(double[] block, int n)
    {
        if (block.Length != n * n) throw new ArgumentException("the block must hold n x n values");
        var re = (double[])block.Clone();
        var im = new double[n * n];
        double[] rowRe = new double[n], rowIm = new double[n];
        for (int pass = 0; pass < 2; pass++)
        {
            // rows first, then columns (read through the same row buffer)
            for (int line = 0; line < n; line++)
            {
                for (int k = 0; k < n; k++)
                {
                    int i = pass == 0 ? line * n + k : k * n + line;
                    rowRe[k] = re[i]; rowIm[k] = im[i];
                }
                Transform(rowRe, rowIm);
                for (int k = 0; k < n; k++)
                {
                    int i = pass == 0 ? line * n + k : k * n + line;
                    re[i] = rowRe[k]; im[i] = rowIm[k];
                }
            }
        }
        for (int i = 0; i < re.Length; i++) re[i] = re[i] * re[i] + im[i] * im[i];
        return re;
    }
}
